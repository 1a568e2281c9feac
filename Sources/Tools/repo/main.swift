print("repo: not yet")
