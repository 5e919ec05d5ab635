using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Emorl.Rewards;

/// <summary>
/// A small pair-scoring network: shared token embeddings, a residual width-3 convolution, pooled
/// prompt and response vectors combined as [p, r, p⊙r, |p−r|], response max and attention pooling,
/// soft token alignment in both directions and hand-made overlap features, then an MLP that
/// outputs one logit.
/// </summary>
/// <remarks>
/// Inputs are compact token ids (0 is padding) and the features of <see cref="PairEncoder"/>.
/// The forward pass returns logits [B] owned by the caller's dispose scope.
/// </remarks>
internal sealed class PairScorerNetwork : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Embedding _embedding;
    private readonly Linear _convolution;
    private readonly Parameter _attentionQuery;
    private readonly Linear _importance;
    private readonly Dropout _dropout;
    private readonly Linear _hidden;
    private readonly Linear _output;

    public PairScorerNetwork(long vocabularyCount, int embeddingSize, int hiddenSize, double dropout)
        : base(nameof(PairScorerNetwork))
    {
        _embedding = nn.Embedding(vocabularyCount, embeddingSize, padding_idx: TokenVocabulary.PaddingId);

        // nn.Conv1d in TorchSharp 0.107.0 leaves one tensor alive per construction, outside any dispose
        // scope, so the width-3 convolution is a Linear layer over each token and its neighbours.
        _convolution = nn.Linear(3 * embeddingSize, embeddingSize);
        _attentionQuery = nn.Parameter(randn(embeddingSize).mul_(1.0 / System.Math.Sqrt(embeddingSize))); // [D]
        _importance = nn.Linear(embeddingSize, 1);
        _dropout = nn.Dropout(dropout);

        // p, r, p⊙r, |p−r|, response max, response attention: six vectors of D; four alignments.
        int combinedSize = (6 * embeddingSize) + 4 + PairEncoder.FeatureCount;
        _hidden = nn.Linear(combinedSize, hiddenSize);
        _output = nn.Linear(hiddenSize, 1);
        RegisterComponents();
    }

    /// <summary>Computes one logit per pair.</summary>
    /// <param name="promptIds">Compact prompt ids [B, Tp], int64, 0 for padding.</param>
    /// <param name="responseIds">Compact response ids [B, Tr], int64, 0 for padding.</param>
    /// <param name="features">Hand-made features [B, F], float32.</param>
    /// <returns>Logits [B], float32.</returns>
    public override Tensor forward(Tensor promptIds, Tensor responseIds, Tensor features)
    {
        Tensor promptMask = TokenMask(promptIds); // [B, Tp, 1]
        Tensor responseMask = TokenMask(responseIds); // [B, Tr, 1]
        Tensor promptTokens = _dropout.forward(_embedding.forward(promptIds)) * promptMask; // [B, Tp, D]
        Tensor responseTokens = _dropout.forward(_embedding.forward(responseIds)) * responseMask; // [B, Tr, D]

        Tensor prompt = Contextualize(promptTokens, promptMask); // [B, Tp, D]
        Tensor response = Contextualize(responseTokens, responseMask); // [B, Tr, D]
        Tensor p = MaskedMean(prompt, promptMask); // [B, D]
        Tensor r = MaskedMean(response, responseMask); // [B, D]
        Tensor responseMax = MaskedMax(response, responseMask); // [B, D]
        Tensor responseAttention = AttentionPool(response, responseMask); // [B, D]
        Tensor alignment = SoftAlignment(promptTokens, promptMask, responseTokens, responseMask); // [B, 4]

        Tensor[] parts = { p, r, p * r, (p - r).abs(), responseMax, responseAttention, alignment, features };
        Tensor combined = cat(parts, 1); // [B, 6D + 4 + F]
        Tensor hidden = nn.functional.gelu(_hidden.forward(_dropout.forward(combined))); // [B, H]
        return _output.forward(_dropout.forward(hidden)).squeeze(-1); // [B]
    }

    private Tensor Contextualize(Tensor tokens, Tensor mask)
    {
        // A width-3 convolution with zero padding, computed from each token and its two neighbours.
        long length = tokens.shape[1];
        Tensor padded = nn.functional.pad(tokens, new long[] { 0, 0, 1, 1 }); // [B, T + 2, D]
        Tensor[] neighbours = { padded.narrow(1, 0, length), tokens, padded.narrow(1, 2, length) };
        Tensor window = cat(neighbours, 2); // [B, T, 3D]
        Tensor context = nn.functional.relu(_convolution.forward(window)); // [B, T, D]

        // The residual keeps single-token meaning next to the n-gram context.
        return (tokens + context) * mask; // [B, T, D]
    }

    private Tensor AttentionPool(Tensor tokens, Tensor mask)
    {
        Tensor logits = tokens.matmul(_attentionQuery).masked_fill(mask.squeeze(-1).eq(0), -1e9); // [B, T]
        Tensor weights = logits.softmax(1).unsqueeze(-1); // [B, T, 1]

        // A text without tokens gets uniform weights over padding rows, which the mask has zeroed.
        return (weights * tokens).sum(1); // [B, D]
    }

    private static Tensor TokenMask(Tensor ids) =>
        ids.ne(TokenVocabulary.PaddingId).unsqueeze(-1).to_type(ScalarType.Float32); // [B, T, 1]

    /// <summary>Averages over the tokens that the mask keeps; padded rows must already be zero.</summary>
    private static Tensor MaskedMean(Tensor tokens, Tensor mask) =>
        tokens.sum(1) / mask.sum(1).clamp_min(1); // [B, D]

    private static Tensor MaskedMax(Tensor tokens, Tensor mask)
    {
        Tensor filled = tokens.masked_fill(mask.eq(0), -1e4); // [B, T, D]
        Tensor hasTokens = mask.sum(1).gt(0).to_type(ScalarType.Float32); // [B, 1]
        return filled.max(1).values * hasTokens; // [B, D]
    }

    /// <summary>
    /// Computes, for each side, the mean over its tokens of the best cosine similarity to any token
    /// of the other side: how much of the response echoes the prompt and the reverse. Each mean is
    /// taken twice, once plain and once weighted by a learned per-token importance, so that content
    /// words can count more than function words.
    /// </summary>
    private Tensor SoftAlignment(Tensor promptTokens, Tensor promptMask, Tensor responseTokens, Tensor responseMask)
    {
        Tensor promptUnit = nn.functional.normalize(promptTokens, dim: -1); // [B, Tp, D]
        Tensor responseUnit = nn.functional.normalize(responseTokens, dim: -1); // [B, Tr, D]
        Tensor similarity = responseUnit.bmm(promptUnit.transpose(1, 2)); // [B, Tr, Tp]

        Tensor toPrompt = similarity.masked_fill(promptMask.transpose(1, 2).eq(0), -1); // [B, Tr, Tp]
        Tensor toResponse = similarity.masked_fill(responseMask.eq(0), -1); // [B, Tr, Tp]
        Tensor bestPerResponseToken = toPrompt.max(2).values.unsqueeze(-1); // [B, Tr, 1]
        Tensor bestPerPromptToken = toResponse.max(1).values.unsqueeze(-1); // [B, Tp, 1]
        Tensor responseWeights = _importance.forward(responseTokens).sigmoid() * responseMask; // [B, Tr, 1]
        Tensor promptWeights = _importance.forward(promptTokens).sigmoid() * promptMask; // [B, Tp, 1]
        return cat(
            new[]
            {
                MaskedMean(bestPerResponseToken * responseMask, responseMask),
                MaskedMean(bestPerPromptToken * promptMask, promptMask),
                WeightedMean(bestPerResponseToken, responseWeights),
                WeightedMean(bestPerPromptToken, promptWeights),
            },
            1); // [B, 4]
    }

    private static Tensor WeightedMean(Tensor values, Tensor weights) =>
        (values * weights).sum(1) / weights.sum(1).clamp_min(1e-6); // [B, 1]
}
