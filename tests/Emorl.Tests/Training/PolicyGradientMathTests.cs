using System;
using Emorl.Tensors;
using static TorchSharp.torch;

namespace Emorl.Tests.Training;

[Collection("Torch")]
public sealed class PolicyGradientMathTests
{
    [Fact]
    public void GroupAdvantagesSubtractEachPromptsMeanReward()
    {
        using var scores = tensor(new float[] { 0.5f, 0.25f, 1.0f, 0.1f, 0.1f, 0.1f });
        using var rewards = PolicyGradientMath.LogClippedRewards(scores);

        using var advantages = PolicyGradientMath.GroupAdvantages(rewards, 3);

        double r0 = Math.Log(0.5), r1 = Math.Log(0.25), r2 = Math.Log(0.9999);
        double mean = (r0 + r1 + r2) / 3;
        var actual = advantages.data<float>().ToArray();
        Assert.Equal(r0 - mean, actual[0], 5);
        Assert.Equal(r1 - mean, actual[1], 5);
        Assert.Equal(r2 - mean, actual[2], 5);
        Assert.Equal(0.0, actual[3], 6);
        Assert.Equal(0.0, actual[4], 6);
        Assert.Equal(0.0, actual[5], 6);
    }

    [Fact]
    public void RewardsClipScoresBeforeTheLog()
    {
        using var scores = tensor(new float[] { 0f, 1f });

        var rewards = PolicyGradientMath.LogClippedRewards(scores).data<float>().ToArray();

        Assert.Equal(Math.Log(1e-4), rewards[0], 4);
        Assert.Equal(Math.Log(0.9999), rewards[1], 6);
    }

    [Fact]
    public void GroupAdvantagesRejectAPartialGroup()
    {
        using var rewards = zeros(5);

        Assert.Throws<ArgumentException>(() => PolicyGradientMath.GroupAdvantages(rewards, 3));
    }

    [Fact]
    public void KScstLossMatchesHandComputation()
    {
        // Two sequences; the second has one padding position.
        float[] logp = [-1.0f, -2.0f, -0.5f, -0.25f, -3.0f, -9.0f];
        float[] reference = [-1.5f, -1.0f, -0.5f, -0.5f, -2.0f, -1.0f];
        bool[] mask = [true, true, true, true, true, false];
        float[] advantages = [0.4f, -0.4f];
        using var policy = tensor(logp, [2, 3]);
        using var referenceTensor = tensor(reference, [2, 3]);
        using var maskTensor = tensor(mask, [2, 3]);
        using var advantageTensor = tensor(advantages);

        var (loss, policyLoss, kl) = PolicyGradientMath.KScstLoss(policy, referenceTensor, maskTensor, advantageTensor, 0.05);

        double sum0 = -1.0 - 2.0 - 0.5, sum1 = -0.25 - 3.0;
        double expectedPolicy = -(0.4 * sum0 + -0.4 * sum1) / 2;
        double klSum = 0;
        for (int i = 0; i < 5; i++)
        {
            double d = reference[i] - logp[i];
            klSum += Math.Exp(d) - d - 1;
        }

        double expectedKl = klSum / 5;
        Assert.Equal(expectedPolicy, policyLoss.item<float>(), 5);
        Assert.Equal(expectedKl, kl.item<float>(), 5);
        Assert.Equal(expectedPolicy + 0.05 * expectedKl, loss.item<float>(), 5);
    }

    [Fact]
    public void KlTermChangesTheGradient()
    {
        using var logits = tensor(new float[] { -0.3f, -1.2f, -0.7f, -2.0f }, [2, 2]).requires_grad_(true);
        using var reference = tensor(new float[] { -0.5f, -0.5f, -0.5f, -0.5f }, [2, 2]);
        using var mask = ones([2, 2], ScalarType.Bool);
        using var advantages = tensor(new float[] { 1f, -1f });

        var withoutKl = Gradient(logits, reference, mask, advantages, 0.0);
        var withKl = Gradient(logits, reference, mask, advantages, 0.5);

        Assert.NotEqual(withoutKl, withKl);
    }

    [Fact]
    public void LeaveOneOutAdvantagesExcludeOwnReward()
    {
        using var rewards = tensor(new float[] { 1f, 2f, 6f, -1f, -1f, -1f });

        var advantages = PolicyGradientMath.LeaveOneOutAdvantages(rewards, 3).data<float>().ToArray();

        Assert.Equal(1 - (2 + 6) / 2.0, advantages[0], 5);
        Assert.Equal(2 - (1 + 6) / 2.0, advantages[1], 5);
        Assert.Equal(6 - (1 + 2) / 2.0, advantages[2], 5);
        Assert.Equal(0.0, advantages[3], 6);
        Assert.Equal(0.0, advantages[4], 6);
        Assert.Equal(0.0, advantages[5], 6);
    }

    [Fact]
    public void LeaveOneOutAdvantagesRejectGroupsOfOne()
    {
        using var rewards = zeros(4);

        Assert.Throws<ArgumentOutOfRangeException>(() => PolicyGradientMath.LeaveOneOutAdvantages(rewards, 1));
    }

    [Fact]
    public void MaskedWhitenIgnoresPadding()
    {
        // Real values 1, 2, 3, 6: mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5.
        using var values = tensor(new float[] { 1f, 2f, 100f, 3f, 6f, -50f }, [2, 3]);
        using var mask = tensor(new[] { true, true, false, true, true, false }, [2, 3]);

        var whitened = PolicyGradientMath.MaskedWhiten(values, mask).data<float>().ToArray();

        double scale = 1 / Math.Sqrt(3.5 + 1e-8);
        Assert.Equal(-2 * scale, whitened[0], 5);
        Assert.Equal(-1 * scale, whitened[1], 5);
        Assert.Equal(0.0, whitened[2], 6);
        Assert.Equal(0.0, whitened[3], 5);
        Assert.Equal(3 * scale, whitened[4], 5);
        Assert.Equal(0.0, whitened[5], 6);
    }

    [Fact]
    public void KlEstimatorsMatchTheirFormulas()
    {
        using var policy = tensor(new float[] { -1f, -0.2f });
        using var reference = tensor(new float[] { -0.5f, -2f });

        var k1 = PolicyGradientMath.KlEstimate(policy, reference, KlEstimator.K1).data<float>().ToArray();
        var k3 = PolicyGradientMath.KlEstimate(policy, reference, KlEstimator.K3).data<float>().ToArray();

        Assert.Equal(-0.5, k1[0], 5);
        Assert.Equal(1.8, k1[1], 5);
        Assert.Equal(Math.Exp(0.5) - 0.5 - 1, k3[0], 5);
        Assert.Equal(Math.Exp(-1.8) + 1.8 - 1, k3[1], 5);
    }

    [Fact]
    public void SequenceReinforceLossSumsTokensAndAveragesSequences()
    {
        using var logp = tensor(new float[] { -1f, -2f, -0.5f, -0.25f, -3f, -9f }, [2, 3]);
        using var mask = tensor(new[] { true, true, true, true, true, false }, [2, 3]);
        using var advantages = tensor(new float[] { 0.4f, -0.4f });

        using var loss = PolicyGradientMath.SequenceReinforceLoss(logp, mask, advantages);

        Assert.Equal(-(0.4 * -3.5 + -0.4 * -3.25) / 2, loss.item<float>(), 5);
    }

    private static float[] Gradient(Tensor logp, Tensor reference, Tensor mask, Tensor advantages, double beta)
    {
        logp.grad?.zero_();
        var (loss, _, _) = PolicyGradientMath.KScstLoss(logp, reference, mask, advantages, beta);
        loss.backward();
        return logp.grad!.data<float>().ToArray();
    }
}
