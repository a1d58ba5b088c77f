"""Saving and loading a model's state_dict, as in the PyTorch "Saving and Loading Models" recipe."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class TheModelClass(nn.Module):
    def __init__(self):
        super(TheModelClass, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 8, 3)
        self.fc1 = nn.Linear(8 * 2 * 2, 24)
        self.fc2 = nn.Linear(24, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 8 * 2 * 2)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x


torch.manual_seed(8)
model = TheModelClass()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)

print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())

inputs = torch.randn(4, 3, 14, 14)
targets = torch.randint(0, 10, (4,))
for _ in range(3):
    optimizer.zero_grad()
    loss = nn.CrossEntropyLoss()(model(inputs), targets)
    loss.backward()
    optimizer.step()

PATH = "model_weights.pth"
torch.save(model.state_dict(), PATH)

model2 = TheModelClass()
print(model2.load_state_dict(torch.load(PATH)))
model2.eval()
model.eval()
with torch.no_grad():
    out1 = model(inputs)
    out2 = model2(inputs)
print(out2.shape)
print(torch.equal(out1, out2), torch.allclose(out1, out2))
print(sorted(model2.state_dict().keys()) == sorted(model.state_dict().keys()))

# A whole checkpoint: epoch, model and optimizer state in one dict.
torch.save({
    'epoch': 3,
    'model_state_dict': model.state_dict(),
    'optimizer_state_dict': optimizer.state_dict(),
    'loss': loss.item(),
}, "checkpoint.tar")
checkpoint = torch.load("checkpoint.tar")
model3 = TheModelClass()
optimizer3 = optim.SGD(model3.parameters(), lr=0.001, momentum=0.9)
model3.load_state_dict(checkpoint['model_state_dict'])
optimizer3.load_state_dict(checkpoint['optimizer_state_dict'])
epoch = checkpoint['epoch']
print(epoch, type(checkpoint['loss']).__name__)
model3.eval()
with torch.no_grad():
    print(torch.allclose(model3(inputs), out1))
