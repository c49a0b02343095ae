namespace HelloAgent;

public static class Program
{
    public static void Main() => Console.WriteLine(Greeting.For("World"));
}

public static class Greeting
{
    public static string For(string name) => $"Hello, {name}!";
}
