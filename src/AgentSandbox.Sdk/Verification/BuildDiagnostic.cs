using System.Globalization;

namespace AgentSandbox.Verification;

/// <summary>An error or warning of a build inside the sandbox, with its file relative to the project directory.</summary>
/// <param name="File">Relative to the project directory; null for project-wide diagnostics (restore, MSBuild).</param>
/// <param name="Line">1-based; 0 when the diagnostic has no position.</param>
internal sealed record BuildDiagnostic(bool IsError, string? File, int Line, int Column, string? Code, string Message)
{
    /// <summary>The compiler's own format: "Program.cs(3,5): error CS1002: ; expected".</summary>
    public override string ToString()
    {
        var location = File is null ? "" : Line > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{File}({Line},{Math.Max(Column, 1)}): ")
            : $"{File}: ";
        var code = Code is null ? "" : $" {Code}";
        return $"{location}{(IsError ? "error" : "warning")}{code}: {Message}";
    }
}
