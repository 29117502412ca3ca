/**
 * Prints one plain closing line, "tests: N passed, N failed[, N skipped]",
 * after jest's own summary and on the same stream (stderr), so any CI can read the result without parsing jest.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`;
    // jest prints its own summary after every custom reporter; at exit we come last.
    process.once("exit", () => process.stderr.write(line));
  }
}
module.exports = SummaryReporter;
