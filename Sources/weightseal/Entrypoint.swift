import WeightSealCLI

@main
struct Entrypoint {
    static func main() async {
        await WeightSealMain.run()
    }
}
