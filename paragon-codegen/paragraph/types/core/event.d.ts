// `@useparagon/core/event`: an app event, as in Paragon's demo project.
export interface IEventInit<T> {
  name: string;
  schema: T;
}
