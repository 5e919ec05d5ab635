using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics;
using System.Text;

namespace Emorl.Checkpoints;

/// <summary>
/// A restricted unpickler for PyTorch state dicts: it runs only the pickle opcodes and builds only
/// the Python globals that <c>torch.save(model.state_dict())</c> writes, and rejects anything else.
/// </summary>
/// <remarks>
/// Opcodes follow Python's <c>pickletools</c> (protocol 2, plus the protocol 4 opcodes FRAME,
/// SHORT_BINUNICODE, STACK_GLOBAL and MEMOIZE). The only callables are <c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c> and <c>torch._utils._rebuild_parameter</c>; storage classes
/// such as <c>torch.FloatStorage</c> appear only inside persistent ids. Nothing is imported or executed,
/// so a malicious file can at worst produce an error.
/// </remarks>
internal sealed class PickleReader
{
    private static readonly HashSet<string> s_allowedGlobals = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage",
        "torch.ByteStorage", "torch.BoolStorage",
    };

    private readonly byte[] _data;
    private readonly string _source;
    private readonly Func<object?[], object> _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;

    private PickleReader(byte[] data, string source, Func<object?[], object> persistentLoad)
    {
        _data = data;
        _source = source;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Unpickles one object.</summary>
    /// <param name="data">The pickle bytes.</param>
    /// <param name="source">The file name used in error messages.</param>
    /// <param name="persistentLoad">Turns a persistent id tuple into a storage reference.</param>
    /// <returns>
    /// The object: null, bool, long, double, string, object?[] (tuple),
    /// List&lt;object?&gt;, <see cref="PickleDictionary"/>, <see cref="PickleGlobal"/>,
    /// <see cref="TorchTensorReference"/>, or what <paramref name="persistentLoad"/> returned.
    /// </returns>
    /// <exception cref="InvalidDataException">The pickle uses an opcode or global outside the allowed set, or is malformed.</exception>
    public static object? Load(byte[] data, string source, Func<object?[], object> persistentLoad) =>
        new PickleReader(data, source, persistentLoad).Run();

    private object? Run()
    {
        while (true)
        {
            if (_position >= _data.Length)
            {
                throw Invalid("the pickle ends before its STOP opcode; the file is truncated");
            }

            int at = _position;
            byte opcode = _data[_position++];
            if (opcode == (byte)'.')
            {
                return Pop();
            }

            Execute(opcode, at);
        }
    }

    private void Execute(byte opcode, int at)
    {
        switch (opcode)
        {
            case 0x80: ReadProtocol(); break;                                      // PROTO
            case 0x95: ReadBytes(8); break;                                        // FRAME
            case (byte)'(': _marks.Push(_stack.Count); break;                      // MARK
            case (byte)'0': Pop(); break;                                          // POP
            case (byte)'1': PopMark(); break;                                      // POP_MARK
            case (byte)'N': Push(null); break;                                     // NONE
            case 0x88: Push(true); break;                                          // NEWTRUE
            case 0x89: Push(false); break;                                         // NEWFALSE
            case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
            case (byte)'K': Push((long)ReadBytes(1)[0]); break;                    // BININT1
            case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
            case 0x8A: Push(ReadLong1()); break;                                   // LONG1
            case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;  // BINFLOAT
            case (byte)'X': Push(ReadString(ReadLength(4))); break;                // BINUNICODE
            case 0x8C: Push(ReadString(ReadLength(1))); break;                     // SHORT_BINUNICODE
            case (byte)']': Push(new List<object?>()); break;                      // EMPTY_LIST
            case (byte)'a': Append(Pop()); break;                                  // APPEND
            case (byte)'e': AppendMany(PopMark()); break;                          // APPENDS
            case (byte)'}': Push(new PickleDictionary()); break;                   // EMPTY_DICT
            case (byte)'s': SetItems([.. PopPair()]); break;                       // SETITEM
            case (byte)'u': SetItems(PopMark()); break;                            // SETITEMS
            case (byte)')': Push(Array.Empty<object?>()); break;                   // EMPTY_TUPLE
            case (byte)'t': Push(PopMark().ToArray()); break;                      // TUPLE
            case 0x85: Push(new[] { Pop() }); break;                               // TUPLE1
            case 0x86: Push(PopPair()); break;                                     // TUPLE2
            case 0x87: Push(PopTriple()); break;                                   // TUPLE3
            case (byte)'c': Push(Global(ReadLine(), ReadLine())); break;           // GLOBAL
            case 0x93: Push(StackGlobal()); break;                                 // STACK_GLOBAL
            case (byte)'R': Push(Reduce()); break;                                 // REDUCE
            case (byte)'b': Build(); break;                                        // BUILD
            case (byte)'Q': Push(_persistentLoad(AsTuple(Pop(), "persistent id"))); break; // BINPERSID
            case (byte)'q': _memo[ReadBytes(1)[0]] = Peek(); break;                // BINPUT
            case (byte)'r': _memo[ReadLength(4)] = Peek(); break;                  // LONG_BINPUT
            case 0x94: _memo[_memo.Count] = Peek(); break;                         // MEMOIZE
            case (byte)'h': Push(Recall(ReadBytes(1)[0])); break;                  // BINGET
            case (byte)'j': Push(Recall(ReadLength(4))); break;                    // LONG_BINGET
            default:
                throw Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"opcode 0x{opcode:X2} at byte {at} is not one a state dict uses, so the file is not loaded"));
        }
    }

    private void ReadProtocol()
    {
        byte version = ReadBytes(1)[0];
        if (version > 5)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture, $"pickle protocol {version} is unknown (protocols 2 to 5 are read)"));
        }
    }

    private long ReadLong1()
    {
        int length = ReadBytes(1)[0];
        var value = new BigInteger(ReadBytes(length), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue
            ? (long)value
            : throw Invalid("an integer does not fit 64 bits, which no tensor size or offset needs");
    }

    private PickleGlobal Global(string module, string name)
    {
        string full = module + "." + name;
        if (!s_allowedGlobals.Contains(full))
        {
            throw Invalid($"global '{full}' is not allowed; a state dict file uses only " +
                "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and torch.*Storage, " +
                "so re-save the weights with model.state_dict() or as model.safetensors");
        }

        return new PickleGlobal(module, name);
    }

    private PickleGlobal StackGlobal()
    {
        object? name = Pop();
        object? module = Pop();
        return module is string m && name is string n ? Global(m, n) : throw Invalid("STACK_GLOBAL needs two strings");
    }

    private object? Reduce()
    {
        var arguments = AsTuple(Pop(), "REDUCE arguments");
        var callable = Pop() as PickleGlobal ?? throw Invalid("REDUCE calls something other than an allowed global");
        switch (callable.FullName)
        {
            case "collections.OrderedDict" when arguments.Length == 0:
                return new PickleDictionary();
            case "torch._utils._rebuild_tensor_v2" when arguments.Length is 6 or 7:
                return TorchTensorReference.FromRebuildArguments(arguments, _source);
            case "torch._utils._rebuild_parameter" when arguments.Length == 3:
                return arguments[0] as TorchTensorReference ?? throw Invalid("_rebuild_parameter wraps something other than a tensor");
            default:
                throw Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"{callable.FullName} is called with {arguments.Length} arguments, which a state dict never does"));
        }
    }

    private void Build()
    {
        Pop();

        // An OrderedDict from state_dict() carries a _metadata attribute (per-module versions), which
        // is not needed to read the tensors.
        if (Peek() is not PickleDictionary)
        {
            throw Invalid("BUILD applies state to an object other than an OrderedDict");
        }
    }

    private void Append(object? item)
    {
        if (Peek() is not List<object?> list)
        {
            throw Invalid("APPEND targets something other than a list");
        }

        list.Add(item);
    }

    private void AppendMany(List<object?> items)
    {
        foreach (var item in items)
        {
            Append(item);
        }
    }

    private void SetItems(List<object?> items)
    {
        if (Peek() is not PickleDictionary dictionary || items.Count % 2 != 0)
        {
            throw Invalid("SETITEM(S) targets something other than a dict, or has an odd number of items");
        }

        for (int i = 0; i < items.Count; i += 2)
        {
            dictionary.Add(items[i], items[i + 1]);
        }
    }

    private object? Recall(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Invalid($"memo entry {index} is read before it is written");

    private object?[] PopPair()
    {
        var second = Pop();
        var first = Pop();
        return [first, second];
    }

    private object?[] PopTriple()
    {
        var third = Pop();
        var second = Pop();
        var first = Pop();
        return [first, second, third];
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0)
        {
            throw Invalid("an opcode needs a MARK that was never pushed");
        }

        int mark = _marks.Pop();
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void Push(object? value) => _stack.Add(value);

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw Invalid("the stack is empty");

    private object? Pop()
    {
        var value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object?[] AsTuple(object? value, string what) =>
        value as object?[] ?? throw Invalid($"the {what} is not a tuple");

    private ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || _position + count > _data.Length)
        {
            throw Invalid("the pickle ends inside an opcode; the file is truncated");
        }

        var span = _data.AsSpan(_position, count);
        _position += count;
        return span;
    }

    private int ReadLength(int width)
    {
        long length = width == 1 ? ReadBytes(1)[0] : BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));
        return length <= int.MaxValue ? (int)length : throw Invalid("a length field is out of range");
    }

    private string ReadString(int length) => Encoding.UTF8.GetString(ReadBytes(length));

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _position);
        if (end < 0)
        {
            throw Invalid("GLOBAL is not followed by a newline; the file is truncated");
        }

        string line = Encoding.UTF8.GetString(_data, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private InvalidDataException Invalid(string problem) =>
        new($"'{_source}' cannot be read as a PyTorch state dict: {problem}.");
}
