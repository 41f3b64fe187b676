# Builds without regions: the variable is a plain string.
null_artifact = "Null"   # from the null builder
file_artifact = "File"            # already current
