import ArgumentParser
import VirtualTrial

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the built-in twin models, their parameters (name, unit, default) and outputs.",
        discussion: """
        The same registry is documented in docs/models.md.

        Example:
          vtrial models
        """)

    func run() throws {
        print(ModelLibrary.textListing, terminator: "")
    }
}
