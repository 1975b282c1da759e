/**
 * Prints the plain closing line CI reads, `N passed, N failed`, from jest's own results. A suite
 * that fails before its tests run (a compile error, a failing beforeAll) counts as failed too.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const brokenSuites = results.testResults.filter(
      (suite) => suite.testExecError && suite.numFailingTests === 0,
    ).length;
    const failed = results.numFailedTests + brokenSuites;
    process.stdout.write(`\n${results.numPassedTests} passed, ${failed} failed\n`);
  }
}
module.exports = SummaryReporter;
