using System;
using static TorchSharp.torch;

namespace Emorl.Models.T5;

/// <summary>Maps the distance between a query and a key to one of T5's relative-position buckets.</summary>
/// <remarks>
/// Follows Raffel et al. 2020, section 2.1, as Hugging Face's <c>T5Attention._relative_position_bucket</c>
/// computes it: half of the buckets hold exact distances 0, 1, ..., the other half grow
/// logarithmically up to <c>maxDistance</c>, and farther keys share the last bucket. A
/// bidirectional (encoder) map spends half of its buckets on keys after the query. A causal
/// (decoder) map sends every later key to bucket 0, which does no harm because the causal mask
/// hides those keys.
/// </remarks>
internal static class T5RelativePosition
{
    /// <summary>Computes the bucket of every relative position, key position minus query position.</summary>
    /// <param name="relativePositions">Key position minus query position, any shape, int64.</param>
    /// <param name="bidirectional">True in the encoder, false in the decoder.</param>
    /// <param name="bucketCount">Number of buckets, even and at least 4.</param>
    /// <param name="maxDistance">Distance at which buckets stop growing, at least 1.</param>
    /// <returns>Buckets in [0, bucketCount), same shape, int64; the caller owns it.</returns>
    public static Tensor Buckets(Tensor relativePositions, bool bidirectional, int bucketCount, int maxDistance)
    {
        using var scope = NewDisposeScope();
        var buckets = zeros_like(relativePositions);
        Tensor distance;
        int halfBuckets = bucketCount;
        if (bidirectional)
        {
            halfBuckets = bucketCount / 2;
            buckets = relativePositions.gt(0).to(ScalarType.Int64).mul(halfBuckets);
            distance = relativePositions.abs();
        }
        else
        {
            distance = relativePositions.clamp_max(0).neg();
        }

        int maxExact = halfBuckets / 2;
        var isSmall = distance.lt(maxExact);

        // float32 as in the reference implementation, so bucket edges match checkpoints' training.
        var logRatio = distance.to(ScalarType.Float32).div(maxExact).log_()
            .div_(Math.Log((double)maxDistance / maxExact))
            .mul_(halfBuckets - maxExact);
        var large = logRatio.to(ScalarType.Int64).add_(maxExact).clamp_max_(halfBuckets - 1);
        return buckets.add(where(isSmall, distance, large)).MoveToOuterDisposeScope();
    }
}
