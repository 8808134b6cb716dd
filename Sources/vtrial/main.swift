import VirtualTrial
print("vtrial")
