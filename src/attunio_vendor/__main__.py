from attunio_vendor.cli import main

main()
