// `@useparagon/core/user`: the Connected User a run is for.
export interface IConnectUser {
  userId: string;
  /** The user's metadata (`{user.*}` in workflow files). */
  meta: Record<string, any>;
}
