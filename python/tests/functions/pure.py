# A module whose process(input) is the function (className without a dot).
def process(input):
    return input.upper() if isinstance(input, str) else input
