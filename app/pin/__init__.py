"""The payment PIN: strength rules, the attempt-counted gate, set, change and reset."""
