from aoikit.cli import main

main()
