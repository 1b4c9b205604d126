// libtorch's random generator is one per process: tests that seed it (manual_seed) and then draw weights or data would
// draw different numbers whenever a test in another class ran at the same time, so the suite's figures (the MNIST
// accuracies, the export errors) changed from run to run. The DeepSeek.Torch tests run one at a time; libtorch still uses
// every core inside each.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
