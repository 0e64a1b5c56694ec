// Declarations of `@useparagon/core` for type-checking an exported Paragraph project, written
// from Paragon's public documentation (docs.useparagon.com/paragraph) and its demo project
// (github.com/useparagon/paragraph-demo): the step classes a workflow constructs, how steps
// are chained, and the Workflow base class. Step options are our reading of the workflow
// editor's fields; they are deliberately strict so a typo in the export fails `tsc`.

/** What every step's output is read through: any path, typed loosely as in Paragraph. */
export type StepOutput = any;

/** A step of a workflow. */
export declare abstract class Step {
  readonly output: StepOutput;
  /** The step that runs after this one. */
  nextStep(step: Step): Step;
}

/** Options every step accepts. */
export interface StepOptions {
  description?: string;
  /** Retry a failed step on Paragon's auto-retry schedule. */
  autoRetry?: boolean;
  /** Keep running the workflow when this step fails. */
  continueWorkflowOnError?: boolean;
}

/** An app event trigger. */
export declare class EventStep<T = unknown> extends Step {
  constructor(event: import('./event').IEventInit<T>);
}

/** A Request trigger: `output.request` holds the body, query and headers. */
export declare class EndpointStep extends Step {
  constructor(options?: { description?: string });
}

/** A Scheduler trigger. */
export declare class CronStep extends Step {
  constructor(options: { cron: string; timeZone: string });
}

/** The trigger run when a user connects the integration. */
export declare class IntegrationEnabledStep extends Step {
  constructor();
}

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

interface RequestOptions extends StepOptions {
  method: HttpMethod;
  url: string;
  params: Record<string, unknown>;
  headers: Record<string, unknown>;
  body?: unknown;
}

/** A request to the integration's API with the connected user's credential. */
export declare class IntegrationRequestStep extends Step {
  constructor(options: RequestOptions);
}

/** A plain HTTP request. */
export declare class RequestStep extends Step {
  constructor(options: RequestOptions);
}

/** JavaScript run on Paragon. */
export declare class FunctionStep extends Step {
  constructor(
    options: StepOptions & {
      code: (parameters: any, libraries?: any) => unknown;
      parameters: Record<string, unknown>;
    },
  );
}

/** A branch on conditions. */
export declare class ConditionalStep extends Step {
  constructor(options: StepOptions & { if: import('./operator').ConditionalInput });
  whenTrue(step: Step): ConditionalStep;
  whenFalse(step: Step): ConditionalStep;
}

/** A branch run per element of an array. */
export declare class FanOutStep extends Step {
  constructor(options: StepOptions & { iterator: unknown });
  branch(step: Step): FanOutStep;
}

/** A pause. */
export declare class DelayStep extends Step {
  constructor(options: StepOptions & { unit: 'SECONDS' | 'MINUTES' | 'HOURS' | 'DAYS'; value: number });
}

/** The answer to a Request trigger. */
export declare class ResponseStep extends Step {
  constructor(options: StepOptions & { statusCode: number; responseType: 'JSON'; body: unknown });
}

/** A workflow: its steps are built and chained in `define`, then registered by key. */
export declare abstract class Workflow {
  abstract define(integration: unknown, context: import('./execution').IContext, connectUser: import('./user').IConnectUser): unknown;
  /** Registers the steps under stable keys. */
  register(steps: Record<string, Step>): unknown;
  abstract name: string;
  abstract description: string;
  inputs: unknown;
  defaultEnabled: boolean;
  hidden: boolean;
  readonly id?: string;
}
