/** asl-validator ships no type declarations: what the CLI calls of it. */
declare module "asl-validator" {
  function aslValidator(
    definition: object,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): { isValid: boolean; errors: unknown[]; errorsText: (separator?: string) => string };
  export default aslValidator;
}
