namespace AgentSandbox.Egress;

/// <summary>Copies bytes both ways between two connections until either side is done.</summary>
internal static class Relay
{
    public static async Task BothWaysAsync(Stream client, Stream server, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = CopyAsync(client, server, done.Token);
        var down = CopyAsync(server, client, done.Token);
        await Task.WhenAny(up, down).ConfigureAwait(false);
        // One side closed: give the other a moment to drain what is in flight, then stop both.
        done.CancelAfter(TimeSpan.FromSeconds(5));
        await Task.WhenAll(up, down).ConfigureAwait(false);
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, 81920, cancellationToken).ConfigureAwait(false);
            if (to is System.Net.Sockets.NetworkStream network)
            {
                network.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // A peer went away: the relay is over.
        }
    }
}
