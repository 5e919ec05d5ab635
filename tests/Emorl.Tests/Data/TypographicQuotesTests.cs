using Emorl.Data;

namespace Emorl.Tests.Data;

public class TypographicQuotesTests
{
    [Theory]
    [InlineData("don\u2019t", "don't")]
    [InlineData("\u2018single\u2019", "'single'")]
    [InlineData("\u201Cdouble\u201D", "\"double\"")]
    [InlineData("\u201Breversed\u201F", "'reversed\"")]
    public void TypographicQuotesBecomeAscii(string input, string expected)
    {
        Assert.Equal(expected, TypographicQuotes.ToAscii(input));
    }

    [Fact]
    public void TextWithoutTypographicQuotesIsReturnedAsIs()
    {
        const string text = "plain 'ascii' \"text\"";

        Assert.Same(text, TypographicQuotes.ToAscii(text));
    }
}
