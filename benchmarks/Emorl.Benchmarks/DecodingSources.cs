using System.Linq;
using Emorl.Aggregation;
using Emorl.Generation;
using Emorl.Objectives;

namespace Emorl.Benchmarks;

/// <summary>Builds the library's next-token source for each decoding method.</summary>
internal static class DecodingSources
{
    public static INextTokenSource Create(BenchmarkModels models, DecodingMethod method)
    {
        double[] weights = models.UniformWeights;
        return method switch
        {
            DecodingMethod.HiddenStacked => new HiddenStateAggregator.Source(new LockstepModels(models.Objectives, true), weights),
            DecodingMethod.HiddenSeparate or DecodingMethod.ReferenceNoCache =>
                new HiddenStateAggregator.Source(new LockstepModels(models.Objectives, false), weights),
            DecodingMethod.Logits => new LogitsAggregator.Source(new LockstepModels(models.Objectives, true), weights),
            _ => new SingleModelSource(new LoraObjectiveModel("merged", models.Base, null)),
        };
    }

    public static bool UsesCache(DecodingMethod method) => method != DecodingMethod.ReferenceNoCache;
}
