using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

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
/// compare ignoring ASCII case, texts are trimmed, and a pair with an empty text is skipped.
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
    public static IReadOnlyList<ClientReflectionPair> Load(string path, bool highQualityOnly = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);

        using StreamReader reader = CsvReader.OpenFile(path);
        return Load(reader, path, highQualityOnly);
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
        bool highQualityOnly = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);

        using StreamReader reader = CsvReader.OpenStream(stream);
        return Load(reader, sourceName, highQualityOnly);
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
        bool highQualityOnly = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);

        var pairs = new List<ClientReflectionPair>();
        foreach (List<Utterance> transcript in ReadTranscripts(reader, sourceName, highQualityOnly))
        {
            List<Utterance> ordered = transcript.OrderBy(utterance => utterance.Id).ToList();
            for (int i = 1; i < ordered.Count; i++)
            {
                Utterance previous = ordered[i - 1];
                Utterance current = ordered[i];
                if (IsClient(previous) && IsReflection(current) && previous.Text.Length > 0 && current.Text.Length > 0)
                {
                    pairs.Add(new ClientReflectionPair(previous.Text, current.Text));
                }
            }
        }

        return pairs;
    }

    private static List<List<Utterance>> ReadTranscripts(TextReader reader, string sourceName, bool highQualityOnly)
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
        for (IReadOnlyList<string>? row = csv.ReadRow(); row is not null; row = csv.ReadRow())
        {
            bool isHighQuality =
                string.Equals(row[qualityIndex].Trim(), HighQuality, StringComparison.OrdinalIgnoreCase);
            if (highQualityOnly && !isHighQuality)
            {
                continue;
            }

            string transcriptKey = row[transcriptIndex].Trim();
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

        return transcripts;
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
