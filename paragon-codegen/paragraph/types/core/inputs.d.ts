// `@useparagon/core/inputs`: workflow user settings.
export interface IInput {
  title: string;
  type: 'text';
  required: boolean;
  defaultValue?: string;
}
export declare function createInputs<T extends Record<string, IInput>>(inputs: T): T;
