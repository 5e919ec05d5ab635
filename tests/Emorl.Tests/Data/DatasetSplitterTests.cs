using System;
using System.Collections.Generic;
using System.Linq;
using Emorl.Data;

namespace Emorl.Tests.Data;

public class DatasetSplitterTests
{
    [Fact]
    public void DefaultSplitOf318Is254By32By32()
    {
        int[] items = Enumerable.Range(0, 318).ToArray();

        DatasetSplit<int> split = DatasetSplitter.Split(items, seed: 42);

        Assert.Equal(254, split.Train.Count);
        Assert.Equal(32, split.Validation.Count);
        Assert.Equal(32, split.Test.Count);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(101)]
    public void EveryItemLandsInExactlyOnePart(int count)
    {
        int[] items = Enumerable.Range(0, count).ToArray();

        DatasetSplit<int> split = DatasetSplitter.Split(items, seed: 7);

        int[] all = split.Train.Concat(split.Validation).Concat(split.Test).ToArray();
        Assert.Equal(count, all.Length);
        Assert.Equal(items, all.Order());
        Assert.Empty(split.Train.Intersect(split.Validation));
        Assert.Empty(split.Train.Intersect(split.Test));
        Assert.Empty(split.Validation.Intersect(split.Test));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(9)]
    public void SmallInputsFillEveryPart(int count)
    {
        int[] items = Enumerable.Range(0, count).ToArray();

        DatasetSplit<int> split = DatasetSplitter.Split(items, seed: 1);

        Assert.NotEmpty(split.Train);
        Assert.NotEmpty(split.Validation);
        Assert.NotEmpty(split.Test);
    }

    [Fact]
    public void SameSeedGivesSameSplit()
    {
        int[] items = Enumerable.Range(0, 100).ToArray();

        DatasetSplit<int> first = DatasetSplitter.Split(items, seed: 123);
        DatasetSplit<int> second = DatasetSplitter.Split(items, seed: 123);

        Assert.Equal(first.Train, second.Train);
        Assert.Equal(first.Validation, second.Validation);
        Assert.Equal(first.Test, second.Test);
    }

    [Fact]
    public void DifferentSeedsGiveDifferentSplits()
    {
        int[] items = Enumerable.Range(0, 100).ToArray();

        DatasetSplit<int> first = DatasetSplitter.Split(items, seed: 1);
        DatasetSplit<int> second = DatasetSplitter.Split(items, seed: 2);

        Assert.NotEqual(first.Test, second.Test);
        Assert.NotEqual(first.Train, second.Train);
    }

    [Fact]
    public void SeedGivesRecordedPermutation()
    {
        // Recorded with .NET 10. A change means System.Random's seeded algorithm changed and
        // published splits would no longer reproduce.
        int[] items = Enumerable.Range(0, 10).ToArray();

        DatasetSplit<int> split = DatasetSplitter.Split(items, seed: 42);

        Assert.Equal(new[] { 9, 0, 4, 2, 5, 7, 3, 8 }, split.Train);
        Assert.Equal(new[] { 1 }, split.Validation);
        Assert.Equal(new[] { 6 }, split.Test);
    }

    [Fact]
    public void InputIsNotModified()
    {
        int[] items = Enumerable.Range(0, 20).ToArray();

        DatasetSplitter.Split(items, seed: 5);

        Assert.Equal(Enumerable.Range(0, 20), items);
    }

    [Fact]
    public void ShuffleOffKeepsInputOrder()
    {
        int[] items = Enumerable.Range(0, 10).ToArray();

        DatasetSplit<int> split = DatasetSplitter.Split(items, seed: 5, new DatasetSplitOptions { Shuffle = false });

        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5, 6, 7 }, split.Train);
        Assert.Equal(new[] { 8 }, split.Validation);
        Assert.Equal(new[] { 9 }, split.Test);
    }

    [Fact]
    public void CustomFractionsSetPartSizes()
    {
        int[] items = Enumerable.Range(0, 100).ToArray();
        var options = new DatasetSplitOptions { TrainFraction = 0.6, ValidationFraction = 0.25, TestFraction = 0.15 };

        DatasetSplit<int> split = DatasetSplitter.Split(items, seed: 3, options);

        Assert.Equal(60, split.Train.Count);
        Assert.Equal(25, split.Validation.Count);
        Assert.Equal(15, split.Test.Count);
    }

    [Fact]
    public void ZeroTestFractionLeavesTestEmpty()
    {
        int[] items = Enumerable.Range(0, 10).ToArray();
        var options = new DatasetSplitOptions { TrainFraction = 0.9, ValidationFraction = 0.1, TestFraction = 0 };

        DatasetSplit<int> split = DatasetSplitter.Split(items, seed: 3, options);

        Assert.Equal(9, split.Train.Count);
        Assert.Single(split.Validation);
        Assert.Empty(split.Test);
    }

    [Fact]
    public void InvalidFractionsAreRejected()
    {
        var options = new DatasetSplitOptions { TrainFraction = 0.8, ValidationFraction = 0.3, TestFraction = 0.1 };

        ArgumentException error = Assert.Throws<ArgumentException>(
            () => DatasetSplitter.Split(new[] { 1, 2, 3 }, seed: 1, options));

        Assert.Equal("options", error.ParamName);
        Assert.Contains("must be 1", error.Message);
    }

    [Fact]
    public void GroupedSplitKeepsGroupsTogether()
    {
        (string Prompt, int Response)[] items = Enumerable.Range(0, 60).Select(i => ($"p{i % 20}", i)).ToArray();

        DatasetSplit<(string Prompt, int Response)> split = DatasetSplitter.Split(items, item => item.Prompt, seed: 9);

        HashSet<string> train = split.Train.Select(item => item.Prompt).ToHashSet();
        HashSet<string> validation = split.Validation.Select(item => item.Prompt).ToHashSet();
        HashSet<string> test = split.Test.Select(item => item.Prompt).ToHashSet();
        Assert.Equal(16, train.Count);
        Assert.Equal(2, validation.Count);
        Assert.Equal(2, test.Count);
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(train.Intersect(test));
        Assert.Empty(validation.Intersect(test));
        Assert.Equal(60, split.Train.Count + split.Validation.Count + split.Test.Count);
    }

    [Fact]
    public void GroupedSplitIsDeterministic()
    {
        string[] items = Enumerable.Range(0, 50).Select(i => $"prompt {i % 17}").ToArray();

        DatasetSplit<string> first = DatasetSplitter.Split(items, item => item, seed: 11);
        DatasetSplit<string> second = DatasetSplitter.Split(items, item => item, seed: 11);

        Assert.Equal(first.Train, second.Train);
        Assert.Equal(first.Test, second.Test);
    }

    [Fact]
    public void EmptyInputGivesEmptyParts()
    {
        DatasetSplit<int> split = DatasetSplitter.Split(Array.Empty<int>(), seed: 1);

        Assert.Empty(split.Train);
        Assert.Empty(split.Validation);
        Assert.Empty(split.Test);
    }
}
