using System.Collections.Generic;

namespace Emorl.Data;

/// <summary>A dataset divided into disjoint training, validation and test parts.</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <param name="Train">The records to train on.</param>
/// <param name="Validation">The records for model selection, such as the aggregation-weight search.</param>
/// <param name="Test">The records held out for the final evaluation.</param>
public sealed record DatasetSplit<T>(IReadOnlyList<T> Train, IReadOnlyList<T> Validation, IReadOnlyList<T> Test);
