from attunio.cli.main import main

main()
