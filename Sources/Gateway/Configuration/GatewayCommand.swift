import ArgumentParser

/// The root command that ``GatewayOptions/load(commandLine:environment:)``
/// parses with, so that `--help` is headed `USAGE: daftra-gateway` and ends
/// with the paragraph about the environment (plain `ParsableArguments` can
/// carry neither).
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daftra-gateway",
        abstract: "A multi-tenant REST gateway in front of the Daftra API.",
        discussion: GatewayOptions.environmentDiscussion
    )

    @OptionGroup var options: GatewayOptions
}
