using System;
using CounselorReflection;
using ScottPlot;
using SkiaSharp;

namespace Emorl.Tests.Samples;

public sealed class ReportPlotsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ShippedFontResolvesRegularAndBold(bool bold)
    {
        ReportPlots.UseShippedFont();

        using var typeface = Fonts.GetTypeface(ReportPlots.FontName, bold, italic: false);

        Assert.Equal(ReportPlots.FontName, Fonts.Default);
        Assert.Equal("DejaVu Sans", typeface.FamilyName);
        Assert.Equal(bold, typeface.FontStyle.Weight >= (int)SKFontStyleWeight.Bold);
    }

    [Fact]
    public void TitleTextChangesThePixels()
    {
        ReportPlots.UseShippedFont();

        // Spaces take the same line height as letters, so both plots have the same layout.
        using var withTitle = Render("Weight search");
        using var withoutTitle = Render("             ");

        int changed = 0;
        for (int y = 0; y < withTitle.Height; y++)
        {
            for (int x = 0; x < withTitle.Width; x++)
            {
                changed += withTitle.GetPixel(x, y) == withoutTitle.GetPixel(x, y) ? 0 : 1;
            }
        }

        Assert.True(changed > 200, $"only {changed} pixels differ, so the title drew no visible text");
    }

    private static SKBitmap Render(string title)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.HideGrid();
        byte[] png = plot.GetImageBytes(300, 120, ImageFormat.Png);
        return SKBitmap.Decode(png);
    }
}
