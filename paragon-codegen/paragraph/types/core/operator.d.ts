// `@useparagon/core/operator`: a Conditional's conditions (the editor's operators).
export interface ConditionalInput {
  readonly __condition: true;
}
export declare function Or(...any: ConditionalInput[]): ConditionalInput;
export declare function And(...all: ConditionalInput[]): ConditionalInput;
export declare function StringExactlyMatches(left: unknown, right: unknown): ConditionalInput;
export declare function StringDoesNotExactlyMatch(left: unknown, right: unknown): ConditionalInput;
export declare function StringContains(left: unknown, right: unknown): ConditionalInput;
export declare function StringDoesNotContain(left: unknown, right: unknown): ConditionalInput;
export declare function NumberGreaterThan(left: unknown, right: unknown): ConditionalInput;
export declare function NumberLessThan(left: unknown, right: unknown): ConditionalInput;
export declare function Exists(value: unknown): ConditionalInput;
export declare function DoesNotExist(value: unknown): ConditionalInput;
export declare function BooleanTrue(value: unknown): ConditionalInput;
export declare function BooleanFalse(value: unknown): ConditionalInput;
