using System;
using Emorl.Tensors;
using static TorchSharp.torch;

namespace Emorl.Tests.Tensors;

[Collection("Torch")]
public sealed class PpoMathTests
{
    private const int Precision = 5;

    [Fact]
    public void GeneralizedAdvantagesMatchHandComputation()
    {
        // Row 0 has three real tokens and row 1 has two. The padding position of row 1 carries reward 7
        // and value 9, which must not leak into the result.
        using var rewards = tensor(new float[] { 0f, 0f, 1f, 0.5f, 2f, 7f }, [2, 3]);
        using var values = tensor(new float[] { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 9f }, [2, 3]);
        using var mask = tensor(new[] { true, true, true, true, true, false }, [2, 3]);

        var (advantages, returns) = PpoMath.GeneralizedAdvantages(rewards, values, mask, gamma: 0.9, lambda: 0.8);

        // γλ = 0.72. Row 0: δ2 = 1 − 0.3 = 0.7; δ1 = 0.9·0.3 − 0.2 = 0.07; δ0 = 0.9·0.2 − 0.1 = 0.08.
        // A2 = 0.7, A1 = 0.07 + 0.72·0.7 = 0.574, A0 = 0.08 + 0.72·0.574 = 0.49328.
        // Row 1: δ1 = 2 − 0.5 = 1.5; δ0 = 0.5 + 0.9·0.5 − 0.4 = 0.55; A1 = 1.5, A0 = 0.55 + 0.72·1.5 = 1.63.
        float[] expectedAdvantages = [0.49328f, 0.574f, 0.7f, 1.63f, 1.5f, 0f];
        float[] expectedReturns = [0.59328f, 0.774f, 1.0f, 2.03f, 2.0f, 0f];
        var actualAdvantages = advantages.data<float>().ToArray();
        var actualReturns = returns.data<float>().ToArray();
        for (int i = 0; i < expectedAdvantages.Length; i++)
        {
            Assert.Equal(expectedAdvantages[i], actualAdvantages[i], Precision);
            Assert.Equal(expectedReturns[i], actualReturns[i], Precision);
        }
    }

    [Fact]
    public void UnitGammaAndLambdaGiveRewardToGo()
    {
        using var rewards = tensor(new float[] { 1f, -2f, 0.5f, 3f }, [1, 4]);
        using var values = tensor(new float[] { 0.25f, 1f, -1f, 2f }, [1, 4]);
        using var mask = ones([1, 4], ScalarType.Bool);

        var (advantages, returns) = PpoMath.GeneralizedAdvantages(rewards, values, mask, gamma: 1, lambda: 1);

        // Reward to go: 2.5, 1.5, 3.5, 3.
        float[] expected = [2.5f - 0.25f, 1.5f - 1f, 3.5f + 1f, 3f - 2f];
        float[] expectedReturns = [2.5f, 1.5f, 3.5f, 3f];
        var actual = advantages.data<float>().ToArray();
        var actualReturns = returns.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], Precision);
            Assert.Equal(expectedReturns[i], actualReturns[i], Precision);
        }
    }

    [Fact]
    public void TokenRewardsScoreTheLastRealToken()
    {
        using var scores = tensor(new float[] { 2f, -1f });
        using var kl = tensor(new float[] { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f }, [2, 3]);
        using var mask = tensor(new[] { true, true, true, true, false, false }, [2, 3]);

        using var rewards = PpoMath.TokenRewards(scores, kl, mask, klCoefficient: 0.5);

        float[] expected = [-0.05f, -0.1f, 2f - 0.15f, -1f - 0.2f, 0f, 0f];
        var actual = rewards.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], Precision);
        }
    }

    [Fact]
    public void ClipFractionOnCraftedBatch()
    {
        // Ratios ρ and advantages A per token, ε = 0.2:
        // 1.5, A = +1: clipped term −1.2 beats −1.5 → clipped.
        // 0.5, A = +1: −0.5 beats −0.8 → not clipped.
        // 0.5, A = −2: 1.6 beats 1.0 → clipped.
        // 1.1, A = +1: inside the range, both −1.1 → not clipped.
        // 1.5, A = −1: 1.5 beats 1.2 → not clipped.
        // 3.0, A = +1 on a padding position → ignored.
        double[] ratios = [1.5, 0.5, 0.5, 1.1, 1.5, 3.0];
        float[] advantageValues = [1f, 1f, -2f, 1f, -1f, 1f];
        var oldLog = new float[ratios.Length];
        var newLog = new float[ratios.Length];
        for (int i = 0; i < ratios.Length; i++)
        {
            oldLog[i] = -1f;
            newLog[i] = (float)(-1 + Math.Log(ratios[i]));
        }

        using var logProbabilities = tensor(newLog, [2, 3]);
        using var oldLogProbabilities = tensor(oldLog, [2, 3]);
        using var advantages = tensor(advantageValues, [2, 3]);
        using var mask = tensor(new[] { true, true, true, true, true, false }, [2, 3]);

        var (loss, clipFraction) = PpoMath.ClippedSurrogateLoss(logProbabilities, oldLogProbabilities, advantages, mask, 0.2);

        double expectedLoss = (-1.2 + -0.5 + 1.6 + -1.1 + 1.5) / 5;
        Assert.Equal(2.0 / 5, clipFraction.item<float>(), Precision);
        Assert.Equal(expectedLoss, loss.item<float>(), Precision);
    }

    [Fact]
    public void ClippedSurrogateGradientVanishesOnClippedTokens()
    {
        using var logProbabilities = tensor(new float[] { (float)Math.Log(1.5), 0f }, [1, 2]).requires_grad_(true);
        using var oldLogProbabilities = zeros(1, 2);
        using var advantages = ones(1, 2);
        using var mask = ones([1, 2], ScalarType.Bool);

        var (loss, _) = PpoMath.ClippedSurrogateLoss(logProbabilities, oldLogProbabilities, advantages, mask, 0.2);
        loss.backward();

        var gradient = logProbabilities.grad!.data<float>().ToArray();
        Assert.Equal(0.0, gradient[0], Precision);
        // d/dlogπ of −A·ρ/2 at ρ = 1 is −0.5.
        Assert.Equal(-0.5, gradient[1], Precision);
    }

    [Fact]
    public void ClippedValueLossMatchesHandComputation()
    {
        // ε = 0.2. Token 0: V = 1.0, V_old = 0.5 → V_clip = 0.7, R = 1.0: (0)² vs (0.3)² → clipped.
        // Token 1: V = 0.6, V_old = 0.5 → inside, R = 2: both 1.96 → not clipped.
        // Token 2: V = 0.0, V_old = 0.5 → V_clip = 0.3, R = −1: 1 vs 1.69 → clipped.
        // Token 3: padding.
        using var values = tensor(new float[] { 1.0f, 0.6f, 0.0f, 5f }, [2, 2]);
        using var oldValues = tensor(new float[] { 0.5f, 0.5f, 0.5f, 0f }, [2, 2]);
        using var returns = tensor(new float[] { 1.0f, 2.0f, -1.0f, 0f }, [2, 2]);
        using var mask = tensor(new[] { true, true, true, false }, [2, 2]);

        var (loss, clipFraction) = PpoMath.ClippedValueLoss(values, oldValues, returns, mask, 0.2);

        Assert.Equal(0.5 * (0.09 + 1.96 + 1.69) / 3, loss.item<float>(), Precision);
        Assert.Equal(2.0 / 3, clipFraction.item<float>(), Precision);
    }

    [Fact]
    public void EntropyOfUniformLogitsIsLogOfVocabulary()
    {
        using var logits = tensor(new float[] { 0f, 0f, 0f, 0f, 10f, 0f, 0f, 0f }, [1, 2, 4]);

        var entropy = PpoMath.Entropy(logits).data<float>().ToArray();

        Assert.Equal(Math.Log(4), entropy[0], Precision);
        double peak = Math.Exp(10) / (Math.Exp(10) + 3);
        double rest = 1 / (Math.Exp(10) + 3);
        Assert.Equal(-(peak * Math.Log(peak) + 3 * rest * Math.Log(rest)), entropy[1], Precision);
    }

    [Fact]
    public void ApproximateKlMatchesHandComputation()
    {
        using var logProbabilities = tensor(new float[] { -1f, -2f, -3f }, [1, 3]);
        using var oldLogProbabilities = tensor(new float[] { -1.5f, -2f, 0f }, [1, 3]);
        using var mask = tensor(new[] { true, true, false }, [1, 3]);

        using var kl = PpoMath.ApproximateKl(logProbabilities, oldLogProbabilities, mask);

        Assert.Equal(0.5 * (0.25 + 0) / 2, kl.item<float>(), Precision);
    }
}
