using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Emorl.Tests.Tokenization;

/// <summary>
/// Builds a SentencePiece <c>precompiled_charsmap</c> for tests: a uint32 trie size, a darts-clone
/// double-array trie over UTF-8 keys, then the zero-terminated replacement strings.
/// </summary>
/// <remarks>
/// The trie follows darts-clone's unit layout. Bits 0-7 store the label, bit 8 marks a node where a
/// key ends, and bits 10-30 store the XOR offset to the node's children. The leaf unit at that
/// offset (label 0) stores the value with bit 31 set. Children of one node share a base b and sit at
/// b ^ label. Bases are placed greedily, which suits a handful of keys.
/// </remarks>
internal static class CharsMapFixture
{
    public static byte[] Build(IReadOnlyList<(string From, string To)> rules)
    {
        var replacements = new MemoryStream();
        var keys = new List<(byte[] Key, int Value)>();
        foreach (var (from, to) in rules)
        {
            keys.Add((Encoding.UTF8.GetBytes(from), (int)replacements.Length));
            replacements.Write(Encoding.UTF8.GetBytes(to));
            replacements.WriteByte(0);
        }

        var builder = new TrieBuilder();
        builder.Place(0, keys, 0);
        uint[] units = builder.Units[..(builder.MaxUsed + 1)];
        var blob = new MemoryStream();
        blob.Write(BitConverter.GetBytes((uint)(units.Length * 4)));
        foreach (uint unit in units)
        {
            blob.Write(BitConverter.GetBytes(unit));
        }

        blob.Write(replacements.ToArray());
        return blob.ToArray();
    }

    private sealed class TrieBuilder
    {
        private readonly bool[] _used = new bool[4096];
        private readonly HashSet<int> _bases = [];

        public uint[] Units { get; } = new uint[4096];

        public int MaxUsed { get; private set; }

        public void Place(int node, List<(byte[] Key, int Value)> keys, int depth)
        {
            _used[node] = true;
            var labels = keys.Select(k => k.Key.Length == depth ? 0 : (int)k.Key[depth]).Distinct().ToArray();
            int nodeBase = Enumerable.Range(1, 4000)
                .First(b => !_bases.Contains(b) && labels.All(c => (b ^ c) != 0 && !_used[b ^ c]));
            _bases.Add(nodeBase);
            foreach (int label in labels)
            {
                _used[nodeBase ^ label] = true;
                MaxUsed = Math.Max(MaxUsed, nodeBase ^ label);
            }

            Units[node] |= (uint)(node ^ nodeBase) << 10;
            foreach (int label in labels)
            {
                int child = nodeBase ^ label;
                if (label == 0)
                {
                    Units[node] |= 1u << 8;
                    Units[child] = (uint)keys.Single(k => k.Key.Length == depth).Value | (1u << 31);
                    continue;
                }

                Units[child] = (uint)label;
                Place(child, keys.Where(k => k.Key.Length > depth && k.Key[depth] == label).ToList(), depth + 1);
            }
        }
    }
}
