NAME = "other helper"
