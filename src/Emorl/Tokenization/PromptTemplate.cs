using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Extensions.Logging;

namespace Emorl.Tokenization;

/// <summary>
/// Turns a client statement into the prompt a causal model continues, and the model's new tokens
/// back into response text.
/// </summary>
/// <remarks>
/// The prompt is <see cref="Prefix"/> + statement + <see cref="Suffix"/>, each part encoded on its
/// own so that a long statement can be cut from the left while the template stays whole. Responses
/// are trained with a leading space, GPT-2's word-start convention. Thread-safe.
/// </remarks>
public sealed partial class PromptTemplate
{
    private readonly IReadOnlyList<int> _prefixIds;
    private readonly IReadOnlyList<int> _suffixIds;

    /// <summary>Creates a template.</summary>
    /// <param name="tokenizer">The tokenizer of the model.</param>
    /// <param name="maxPromptTokens">Longest encoded prompt; longer statements lose tokens from the left. Default 128 (EMORL's encoder limit).</param>
    /// <param name="maxResponseTokens">Longest encoded reference response, end-of-text included; longer ones lose tokens from the right. Default 64 (EMORL's generation limit).</param>
    /// <param name="prefix">Text before the statement. Default <c>"Client: "</c>.</param>
    /// <param name="suffix">Text after the statement, which cues the response. Default <c>"\nCounselor:"</c>.</param>
    /// <param name="endWithEndOfText">
    /// Whether every prompt ends with the tokenizer's end-of-text id after the suffix. Hugging Face's
    /// T5 tokenizer ends encoder inputs with <c>&lt;/s&gt;</c>, so set it for pretrained T5 bases.
    /// Default false, as a decoder-only model continues the prompt directly.
    /// </param>
    public PromptTemplate(
        ITextTokenizer tokenizer,
        int maxPromptTokens = 128,
        int maxResponseTokens = 64,
        string prefix = "Client: ",
        string suffix = "\nCounselor:",
        bool endWithEndOfText = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(suffix);
        Tokenizer = tokenizer;
        Prefix = prefix;
        Suffix = suffix;
        _prefixIds = tokenizer.Encode(prefix);
        _suffixIds = endWithEndOfText ? [.. tokenizer.Encode(suffix), tokenizer.EndOfTextId] : tokenizer.Encode(suffix);
        EndsWithEndOfText = endWithEndOfText;
        if (maxPromptTokens <= _prefixIds.Count + _suffixIds.Count)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxPromptTokens), maxPromptTokens,
                $"The template alone takes {_prefixIds.Count + _suffixIds.Count} tokens; allow more prompt tokens than that.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxResponseTokens, 2);
        MaxPromptTokens = maxPromptTokens;
        MaxResponseTokens = maxResponseTokens;
    }

    /// <summary>Gets the tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>Gets the text before the statement.</summary>
    public string Prefix { get; }

    /// <summary>Gets the text after the statement.</summary>
    public string Suffix { get; }

    /// <summary>Gets whether every prompt ends with the tokenizer's end-of-text id.</summary>
    public bool EndsWithEndOfText { get; }

    /// <summary>Gets the longest encoded prompt.</summary>
    public int MaxPromptTokens { get; }

    /// <summary>Gets the longest encoded reference response, end-of-text included.</summary>
    public int MaxResponseTokens { get; }

    /// <summary>Encodes a statement into prompt token ids, cutting the statement from the left when too long.</summary>
    /// <param name="statement">The client's statement, not empty or white space.</param>
    /// <returns>The prompt's token ids, at most <see cref="MaxPromptTokens"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="statement"/> is empty or white space.</exception>
    /// <remarks>
    /// The cut is silent here. <see cref="EncodePrompts"/> encodes a batch and logs how many prompts were cut.
    /// </remarks>
    public IReadOnlyList<int> EncodePrompt(string statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        if (string.IsNullOrWhiteSpace(statement))
        {
            throw new ArgumentException(
                "The statement is empty or white space, so there is nothing to respond to; pass the client's text.",
                nameof(statement));
        }

        return Encode(statement, out _);
    }

    /// <summary>
    /// Encodes statements into prompt token ids, cutting long statements from the left, and logs one
    /// warning that counts the statements cut.
    /// </summary>
    /// <param name="statements">The client statements, none empty or white space.</param>
    /// <param name="logger">Receives the warning when a statement was cut, or <see langword="null"/> for none.</param>
    /// <returns>One prompt per statement, in input order, each at most <see cref="MaxPromptTokens"/> tokens.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="statements"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A statement is null, empty or white space; the message gives its index.</exception>
    public IReadOnlyList<IReadOnlyList<int>> EncodePrompts(IReadOnlyList<string> statements, ILogger? logger = null)
    {
        CheckStatements(statements, nameof(statements));

        var prompts = new IReadOnlyList<int>[statements.Count];
        int truncated = 0;
        for (int i = 0; i < prompts.Length; i++)
        {
            prompts[i] = Encode(statements[i], out bool cut);
            truncated += cut ? 1 : 0;
        }

        if (truncated > 0 && logger is not null)
        {
            LogPromptsTruncated(logger, truncated, statements.Count, MaxPromptTokens);
        }

        return prompts;
    }

    /// <summary>Checks that no statement is null, empty or white space, naming the first that is.</summary>
    /// <param name="statements">The statements to check.</param>
    /// <param name="paramName">The caller's parameter name, for the exception.</param>
    /// <exception cref="ArgumentNullException"><paramref name="statements"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A statement is null, empty or white space.</exception>
    internal static void CheckStatements(IReadOnlyList<string> statements, string paramName)
    {
        ArgumentNullException.ThrowIfNull(statements, paramName);
        for (int i = 0; i < statements.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(statements[i]))
            {
                string value = statements[i] is null ? "null" : "empty or white space";
                throw new ArgumentException(
                    $"Statement {i} of {statements.Count} is {value}, so there is nothing to respond to; "
                    + "remove it or fill in the client's text.",
                    paramName);
            }
        }
    }

    /// <summary>Checks that every id the tokenizer produces is inside the model's vocabulary.</summary>
    /// <param name="vocabularySize">The model's vocabulary size.</param>
    /// <param name="modelDescription">Names the model in the message, such as its shape.</param>
    /// <param name="paramName">The caller's parameter name for the template.</param>
    /// <exception cref="ArgumentException">The tokenizer has more ids than the model reads.</exception>
    internal void CheckVocabulary(int vocabularySize, string modelDescription, string paramName)
    {
        if (Tokenizer.VocabularySize > vocabularySize)
        {
            throw new ArgumentException(
                $"The template's tokenizer has {Tokenizer.VocabularySize} token ids, but the model ({modelDescription}) "
                + $"reads only {vocabularySize}, so some prompts would hold ids the model has no embedding for. "
                + "Use the tokenizer that the base model was built with.",
                paramName);
        }
    }

    private int[] Encode(string statement, out bool truncated)
    {
        var body = Tokenizer.Encode(statement.Trim());
        int room = MaxPromptTokens - _prefixIds.Count - _suffixIds.Count;
        truncated = body.Count > room;
        var kept = truncated ? body.Skip(body.Count - room) : body;
        return _prefixIds.Concat(kept).Concat(_suffixIds).ToArray();
    }

    /// <summary>
    /// Encodes a reference response for supervised training or scoring, with its leading space and
    /// a closing end-of-text, cut to <see cref="MaxResponseTokens"/>.
    /// </summary>
    /// <param name="response">The response text.</param>
    /// <returns>The response's token ids, ending with end-of-text.</returns>
    public IReadOnlyList<int> EncodeResponse(string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var ids = Tokenizer.Encode(" " + response.Trim());
        return ids.Take(MaxResponseTokens - 1).Append(Tokenizer.EndOfTextId).ToArray();
    }

    /// <summary>Decodes generated tokens into trimmed response text.</summary>
    /// <param name="tokens">New tokens, end-of-text excluded.</param>
    /// <returns>The response text.</returns>
    public string DecodeResponse(IEnumerable<int> tokens) => Tokenizer.Decode(tokens).Trim();

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "{Count} of {Total} prompts were longer than {MaxPromptTokens} tokens and lost tokens from the left of the statement")]
    private static partial void LogPromptsTruncated(ILogger logger, int count, int total, int maxPromptTokens);
}
