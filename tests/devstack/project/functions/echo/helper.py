NAME = "echo helper"
