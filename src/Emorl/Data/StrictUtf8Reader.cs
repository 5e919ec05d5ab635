using System;
using System.Buffers;
using System.IO;
using System.Text.Unicode;

namespace Emorl.Data;

/// <summary>
/// Decodes UTF-8 from a stream and stops at the first invalid byte instead of replacing it with
/// U+FFFD, as <see cref="StreamReader"/> does.
/// </summary>
/// <remarks>
/// Every character before the invalid byte is returned first, so a caller that tracks lines and
/// columns can report exactly where the byte is when <see cref="InvalidUtf8Exception"/> is thrown.
/// A UTF-8 byte-order mark is returned as U+FEFF for the caller to skip. Only <see cref="Peek"/>
/// and <see cref="Read()"/> are overridden, which is all <see cref="CsvReader"/> calls.
/// Not thread-safe.
/// </remarks>
internal sealed class StrictUtf8Reader : TextReader
{
    private const int BufferSize = 16 * 1024;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _bytes = new byte[BufferSize];
    private readonly char[] _chars = new char[BufferSize];
    private long _offsetOfBuffer;
    private int _byteStart;
    private int _byteEnd;
    private int _charPosition;
    private int _charEnd;
    private bool _endOfStream;
    private InvalidUtf8Exception? _pending;

    public StrictUtf8Reader(Stream stream, bool leaveOpen)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
    }

    public override int Peek() => Fill() ? _chars[_charPosition] : -1;

    public override int Read() => Fill() ? _chars[_charPosition++] : -1;

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            _stream.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Makes at least one decoded character available.</summary>
    /// <returns><see langword="false"/> at the end of the stream.</returns>
    /// <exception cref="InvalidUtf8Exception">The next byte does not start a valid UTF-8 sequence.</exception>
    private bool Fill()
    {
        while (_charPosition == _charEnd)
        {
            if (_pending is not null)
            {
                throw _pending;
            }

            if (_endOfStream && _byteStart == _byteEnd)
            {
                return false;
            }

            ReadMoreBytes();
            OperationStatus status = Utf8.ToUtf16(
                _bytes.AsSpan(_byteStart, _byteEnd - _byteStart),
                _chars,
                out int bytesRead,
                out int charsWritten,
                replaceInvalidSequences: false,
                isFinalBlock: _endOfStream);
            _byteStart += bytesRead;
            _charPosition = 0;
            _charEnd = charsWritten;
            if (status == OperationStatus.InvalidData)
            {
                int length = Math.Min(4, _byteEnd - _byteStart);
                _pending = new InvalidUtf8Exception(_offsetOfBuffer + _byteStart, _bytes.AsSpan(_byteStart, length).ToArray());
            }
        }

        return true;
    }

    /// <summary>Moves undecoded bytes to the front of the buffer and reads more behind them.</summary>
    private void ReadMoreBytes()
    {
        if (_byteStart > 0)
        {
            int remaining = _byteEnd - _byteStart;
            Buffer.BlockCopy(_bytes, _byteStart, _bytes, 0, remaining);
            _offsetOfBuffer += _byteStart;
            _byteStart = 0;
            _byteEnd = remaining;
        }

        if (!_endOfStream && _byteEnd < _bytes.Length)
        {
            int count = _stream.Read(_bytes, _byteEnd, _bytes.Length - _byteEnd);
            _endOfStream = count == 0;
            _byteEnd += count;
        }
    }
}
