// `@useparagon/core/execution`: what a workflow's `define` reads at run time.
export interface IContext {
  /** A workflow or integration user setting's value. */
  getInput(key: string): any;
  /** An environment secret of the Paragon project. */
  getEnvironmentSecret(name: string): string;
}
