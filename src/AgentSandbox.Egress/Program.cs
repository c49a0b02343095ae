using System.Runtime.InteropServices;
using AgentSandbox.Egress;

// In the agent's container: the proxy's sockets on loopback, in front of the agent's command (relay FOLDER -- COMMAND...).
if (args is ["relay", ..])
{
    if (args is not ["relay", var folder, "--", _, ..])
    {
        Console.Error.WriteLine("agentsandbox-egress: relay FOLDER -- COMMAND [ARGUMENT...]");
        return 2;
    }
    return await LoopbackRelay.RunAsync(folder, args[3..]);
}

// The configuration is the first line on standard input (it holds the credentials, which must not be on the command
// line or in the environment; on a cluster a credential may instead be a file of a Secret mounted into this pod only);
// every decision goes to standard output as a JSON line.
var line = Console.In.ReadLine();
EgressConfig config;
try
{
    config = EgressConfig.Parse(line ?? throw new FormatException("no configuration on standard input")).WithCredentialsRead();
}
catch (Exception exception) when (exception is FormatException or System.Text.Json.JsonException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"agentsandbox-egress: the configuration is unreadable: {exception.Message}");
    return 2;
}

// For the credential routes' HttpClient, which reads them; the tunnels use the same values through Upstream.
Environment.SetEnvironmentVariable("HTTP_PROXY", config.HttpProxy);
Environment.SetEnvironmentVariable("HTTPS_PROXY", config.HttpsProxy);
Environment.SetEnvironmentVariable("NO_PROXY", config.NoProxy);

using var stop = new CancellationTokenSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
var output = Console.Out;
var gate = new object();
// --sockets FOLDER: listen on unix sockets in it rather than on the network (the agent's container has none).
var proxy = new EgressProxy(config, egressEvent =>
{
    lock (gate)
    {
        output.WriteLine(egressEvent.ToJson());
        output.Flush();
    }
}, args is ["--sockets", var sockets] ? sockets : null);
try
{
    await proxy.RunAsync(stop.Token);
}
catch (System.Net.Sockets.SocketException exception)
{
    Console.Error.WriteLine($"agentsandbox-egress: cannot listen: {exception.Message}");
    return 3;
}
return 0;
