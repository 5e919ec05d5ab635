using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Emorl.Benchmarks.DecodingStepBenchmarks).Assembly).Run(args);
