// `@useparagon/core/inputs`: user settings, of a workflow (its `inputs`) or of the whole
// integration (`src/integrations/<integration>/inputs.ts`). Paragon's documentation names
// `createInputs` but not its input types; these are our reading of the Connect Portal's fields.
interface IInputBase {
  title: string;
  required: boolean;
  tooltip?: string;
}
export interface ITextInput extends IInputBase {
  type: 'text' | 'url';
  defaultValue?: string;
}
export interface INumberInput extends IInputBase {
  type: 'number';
  defaultValue?: number;
}
export interface IBooleanInput extends IInputBase {
  type: 'boolean';
  defaultValue?: boolean;
}
export interface IDropdownInput extends IInputBase {
  type: 'dropdown';
  options: string[];
  defaultValue?: string;
}
export interface IFieldMappingInput extends IInputBase {
  type: 'field_mapping';
  /** The app's fields, each mapped by the user to one of the provider's. */
  fields: string[];
  defaultValue?: Record<string, string>;
}
export type IInput = ITextInput | INumberInput | IBooleanInput | IDropdownInput | IFieldMappingInput;
export declare function createInputs<T extends Record<string, IInput>>(inputs: T): T;
