NAME = "echo layer"
