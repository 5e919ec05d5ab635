using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Emorl.Data;

/// <summary>
/// Extracts client→reflection pairs from the AnnoMI motivational-interviewing transcripts.
/// </summary>
/// <remarks>
/// <para>
/// AnnoMI (Wu et al., "Anno-MI: A Dataset of Expert-Annotated Counselling Dialogues", ICASSP 2022)
/// has one utterance per row. This loader reads <c>AnnoMI-simple.csv</c>, whose header contains at
/// least <c>transcript_id, mi_quality, utterance_id, interlocutor, utterance_text,
/// main_therapist_behaviour</c>. Other columns are ignored.
/// </para>
/// <para>
/// Within each transcript, utterances are ordered by the integer <c>utterance_id</c> (ties keep
/// file order). A pair is an utterance whose <c>interlocutor</c> is <c>client</c> followed directly,
/// in that order, by one whose <c>interlocutor</c> is <c>therapist</c> and whose
/// <c>main_therapist_behaviour</c> is <c>reflection</c>. Gaps in the ids do not break a pair. Names
/// compare ignoring ASCII case, texts are trimmed, and a pair with an empty text is skipped and
/// counted in the log by the overloads that take a logger. An empty <c>transcript_id</c> is an error.
/// Pairs come out by transcript, in order of each transcript's first row, then by utterance order.
/// The published file yields 1,281 pairs, 1,252 of them from high-quality transcripts.
/// </para>
/// </remarks>
public static class AnnoMiLoader
{
    private const string Client = "client";
    private const string Therapist = "therapist";
    private const string Reflection = "reflection";
    private const string HighQuality = "high";

    /// <summary>Gets the columns the file must contain.</summary>
    public static IReadOnlyList<string> ColumnNames { get; } =
    [
        "transcript_id", "mi_quality", "utterance_id", "interlocutor", "utterance_text", "main_therapist_behaviour",
    ];

    /// <summary>Reads client→reflection pairs from an AnnoMI CSV file.</summary>
    /// <param name="path">The path of <c>AnnoMI-simple.csv</c> or a file with the same columns.</param>
    /// <param name="highQualityOnly">
    /// <see langword="true"/> to keep only transcripts whose <c>mi_quality</c> is <c>high</c>;
    /// default <see langword="false"/>.
    /// </param>
    /// <returns>The pairs, in transcript and utterance order.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The file is not valid CSV, lacks a column, or has an <c>utterance_id</c> that is not a non-negative integer.
    /// </exception>
    public static IReadOnlyList<ClientReflectionPair> Load(string path, bool highQualityOnly = false) =>
        Load(path, highQualityOnly, null, null);

    /// <summary>Reads client→reflection pairs from an AnnoMI CSV file in a given encoding and logs what was left out.</summary>
    /// <param name="path">The path of <c>AnnoMI-simple.csv</c> or a file with the same columns.</param>
    /// <param name="highQualityOnly"><see langword="true"/> to keep only high-quality transcripts.</param>
    /// <param name="encoding">The file's encoding, or <see langword="null"/> for UTF-8.</param>
    /// <param name="logger">Receives the counts of rows and pairs left out, or <see langword="null"/>.</param>
    /// <returns>The pairs, in transcript and utterance order.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The file is not valid text in its encoding or not valid CSV, lacks a column, has an empty
    /// <c>transcript_id</c>, or has an <c>utterance_id</c> that is not a non-negative integer.
    /// </exception>
    public static IReadOnlyList<ClientReflectionPair> Load(string path, bool highQualityOnly, Encoding? encoding, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        using TextReader reader = CsvReader.OpenFile(path, encoding);
        return Load(reader, path, highQualityOnly, logger);
    }

    /// <summary>Reads client→reflection pairs from AnnoMI CSV in a stream.</summary>
    /// <param name="stream">UTF-8 CSV text, read to the end and left open.</param>
    /// <param name="sourceName">A name for the stream, used in error messages.</param>
    /// <param name="highQualityOnly"><see langword="true"/> to keep only high-quality transcripts.</param>
    /// <returns>The pairs, in transcript and utterance order.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a column, or has an <c>utterance_id</c> that is not a non-negative integer.
    /// </exception>
    public static IReadOnlyList<ClientReflectionPair> Load(
        Stream stream,
        string sourceName = "stream",
        bool highQualityOnly = false) =>
        Load(stream, sourceName, highQualityOnly, null, null);

    /// <summary>Reads client→reflection pairs from AnnoMI CSV in a stream in a given encoding and logs what was left out.</summary>
    /// <param name="stream">CSV text, read to the end and left open.</param>
    /// <param name="sourceName">A name for the stream, used in error messages and the log.</param>
    /// <param name="highQualityOnly"><see langword="true"/> to keep only high-quality transcripts.</param>
    /// <param name="encoding">The stream's encoding, or <see langword="null"/> for UTF-8.</param>
    /// <param name="logger">Receives the counts of rows and pairs left out, or <see langword="null"/>.</param>
    /// <returns>The pairs, in transcript and utterance order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="sourceName"/> is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid in its encoding or not valid CSV, lacks a column, has an empty <c>transcript_id</c>,
    /// or has an <c>utterance_id</c> that is not a non-negative integer.
    /// </exception>
    public static IReadOnlyList<ClientReflectionPair> Load(
        Stream stream, string sourceName, bool highQualityOnly, Encoding? encoding, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);

        using TextReader reader = CsvReader.OpenStream(stream, encoding);
        return Load(reader, sourceName, highQualityOnly, logger);
    }

    /// <summary>Reads client→reflection pairs from AnnoMI CSV text.</summary>
    /// <param name="reader">The CSV text, read to the end and not disposed.</param>
    /// <param name="sourceName">A name for the text, used in error messages.</param>
    /// <param name="highQualityOnly"><see langword="true"/> to keep only high-quality transcripts.</param>
    /// <returns>The pairs, in transcript and utterance order.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a column, or has an <c>utterance_id</c> that is not a non-negative integer.
    /// </exception>
    public static IReadOnlyList<ClientReflectionPair> Load(
        TextReader reader,
        string sourceName = "text",
        bool highQualityOnly = false) =>
        Load(reader, sourceName, highQualityOnly, null);

    /// <summary>Reads client→reflection pairs from AnnoMI CSV text and logs what was left out.</summary>
    /// <param name="reader">The CSV text, read to the end and not disposed.</param>
    /// <param name="sourceName">A name for the text, used in error messages and the log.</param>
    /// <param name="highQualityOnly"><see langword="true"/> to keep only high-quality transcripts.</param>
    /// <param name="logger">Receives the counts of rows and pairs left out, or <see langword="null"/>.</param>
    /// <returns>The pairs, in transcript and utterance order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> or <paramref name="sourceName"/> is <see langword="null"/>.</exception>
    /// <exception cref="DatasetFormatException">
    /// The text is not valid CSV, lacks a column, has an empty <c>transcript_id</c>, or has an
    /// <c>utterance_id</c> that is not a non-negative integer.
    /// </exception>
    public static IReadOnlyList<ClientReflectionPair> Load(
        TextReader reader, string sourceName, bool highQualityOnly, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);

        logger ??= NullLogger.Instance;
        var pairs = new List<ClientReflectionPair>();
        int emptyPairs = 0;
        var (transcripts, lowQualityRows) = ReadTranscripts(reader, sourceName, highQualityOnly);
        foreach (List<Utterance> transcript in transcripts)
        {
            List<Utterance> ordered = transcript.OrderBy(utterance => utterance.Id).ToList();
            for (int i = 1; i < ordered.Count; i++)
            {
                Utterance previous = ordered[i - 1];
                Utterance current = ordered[i];
                if (!IsClient(previous) || !IsReflection(current))
                {
                    continue;
                }

                if (previous.Text.Length > 0 && current.Text.Length > 0)
                {
                    pairs.Add(new ClientReflectionPair(previous.Text, current.Text));
                }
                else
                {
                    emptyPairs++;
                }
            }
        }

        DatasetLoaderLog.Loaded(logger, sourceName, pairs.Count);
        if (lowQualityRows > 0)
        {
            DatasetLoaderLog.AnnoMiLowQualitySkipped(logger, sourceName, lowQualityRows);
        }

        if (emptyPairs > 0)
        {
            DatasetLoaderLog.AnnoMiEmptyPairsSkipped(logger, sourceName, emptyPairs);
        }

        return pairs;
    }

    private static (List<List<Utterance>> Transcripts, int LowQualityRows) ReadTranscripts(
        TextReader reader, string sourceName, bool highQualityOnly)
    {
        var csv = new CsvReader(reader, sourceName);
        CsvHeader header = CsvHeader.Read(csv, ColumnNames);
        int transcriptIndex = header.IndexOf("transcript_id");
        int qualityIndex = header.IndexOf("mi_quality");
        int idIndex = header.IndexOf("utterance_id");
        int speakerIndex = header.IndexOf("interlocutor");
        int textIndex = header.IndexOf("utterance_text");
        int behaviourIndex = header.IndexOf("main_therapist_behaviour");

        var transcripts = new List<List<Utterance>>();
        var transcriptByKey = new Dictionary<string, List<Utterance>>(StringComparer.Ordinal);
        int lowQualityRows = 0;
        for (IReadOnlyList<string>? row = csv.ReadRow(); row is not null; row = csv.ReadRow())
        {
            bool isHighQuality =
                string.Equals(row[qualityIndex].Trim(), HighQuality, StringComparison.OrdinalIgnoreCase);
            if (highQualityOnly && !isHighQuality)
            {
                lowQualityRows++;
                continue;
            }

            string transcriptKey = row[transcriptIndex].Trim();
            if (transcriptKey.Length == 0)
            {
                throw csv.CreateCellError(
                    transcriptIndex,
                    "The transcript_id cell is empty, so the utterance belongs to no transcript. "
                    + "Fill in the id of its transcript or delete the row.");
            }

            if (!transcriptByKey.TryGetValue(transcriptKey, out List<Utterance>? transcript))
            {
                transcript = [];
                transcriptByKey.Add(transcriptKey, transcript);
                transcripts.Add(transcript);
            }

            transcript.Add(new Utterance(
                ParseUtteranceId(csv, row, idIndex),
                row[speakerIndex].Trim(),
                row[behaviourIndex].Trim(),
                row[textIndex].Trim()));
        }

        return (transcripts, lowQualityRows);
    }

    private static int ParseUtteranceId(CsvReader csv, IReadOnlyList<string> row, int index)
    {
        string cell = row[index].Trim();
        if (int.TryParse(cell, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
        {
            return id;
        }

        throw csv.CreateCellError(
            index,
            $"The utterance_id cell is '{cell}' but must be a non-negative integer giving the utterance's "
            + "position in its transcript. Correct the value.");
    }

    private static bool IsClient(Utterance utterance) =>
        string.Equals(utterance.Speaker, Client, StringComparison.OrdinalIgnoreCase);

    private static bool IsReflection(Utterance utterance) =>
        string.Equals(utterance.Speaker, Therapist, StringComparison.OrdinalIgnoreCase)
        && string.Equals(utterance.Behaviour, Reflection, StringComparison.OrdinalIgnoreCase);

    private readonly record struct Utterance(int Id, string Speaker, string Behaviour, string Text);
}
