using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Emorl.Benchmarks.AggregationBenchmarks).Assembly).Run(args);
