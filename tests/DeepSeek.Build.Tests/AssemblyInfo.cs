// These tests run real dotnet builds; in parallel they would fight over two cores and over the repository's outputs.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
