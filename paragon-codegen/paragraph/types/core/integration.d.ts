// `@useparagon/core/integration`: an integration's `config.ts`. `IIntegrationConfig` is the
// Connect Portal configuration Paragon documents; `ICustomIntegrationConfig` adds the custom
// integration's fields, named after the dashboard's form (Basic Info, Authentication,
// API setup) as Paragon's custom integration guide describes them.

export interface IIntegrationConfig {
  description?: string;
  overviewText?: string;
  showWatermark?: boolean;
  /** The integration's workflow classes, in Connect Portal order. */
  workflowDisplayOrder?: Array<new () => import('./index').Workflow>;
}

/** A field the end user fills in when connecting (API keys, hosts). */
export interface IUserInput {
  key: string;
  label: string;
  type: 'text' | 'password' | 'url' | 'host' | 'select';
  required: boolean;
}

export type ApiAuthorization =
  | { type: 'none' }
  | { type: 'bearer'; token: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'headers'; headers: Record<string, string> }
  | { type: 'query'; params: Record<string, string> };

export interface ICustomIntegrationConfig extends IIntegrationConfig {
  name: string;
  description: string;
  /** `#RRGGBB`. */
  accentColor: string;
  /** The SVG icon's text. */
  icon: string;
  authenticationType: 'oauth' | 'api_key' | 'oauth_client_credential' | 'none';
  authorizationUrl?: string;
  accessTokenUrl?: string;
  refreshUrl?: string;
  scopes?: string[];
  clientCredentialPlacement?: 'body' | 'header';
  pkce?: boolean;
  userInputs?: IUserInput[];
  apiBaseUrl: string;
  testEndpointPath: string;
  apiAuthorization: ApiAuthorization;
}
