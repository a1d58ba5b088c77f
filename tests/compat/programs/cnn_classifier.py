"""A CNN classifier in the style of the classic PyTorch tutorials: conv blocks, a Linear head."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(1)
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

# Synthetic 12x12 "images": class 0 has a bright top half, class 1 a bright bottom half.
num_samples = 128
labels = torch.randint(0, 2, (num_samples,))
images = torch.randn(num_samples, 1, 12, 12) * 0.5
images[labels == 0, :, :6, :] += 1.0
images[labels == 1, :, 6:, :] += 1.0
train_loader = DataLoader(TensorDataset(images, labels), batch_size=16, shuffle=True)


class ConvNet(nn.Module):
    def __init__(self, num_classes=2):
        super(ConvNet, self).__init__()
        self.layer1 = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, stride=1, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2))
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.dropout = nn.Dropout(0.25)
        self.fc = nn.Linear(3 * 3 * 16, num_classes)

    def forward(self, x):
        out = self.layer1(x)
        out = F.max_pool2d(F.relu(self.conv2(out)), 2)
        out = out.reshape(out.size(0), -1)
        out = self.dropout(out)
        out = self.fc(out)
        return out


model = ConvNet(num_classes=2).to(device)
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.01)

total_step = len(train_loader)
num_epochs = 2
for epoch in range(num_epochs):
    for i, (images_b, labels_b) in enumerate(train_loader):
        images_b = images_b.to(device)
        labels_b = labels_b.to(device)

        outputs = model(images_b)
        loss = criterion(outputs, labels_b)

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if (i + 1) % 4 == 0:
            print('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                  .format(epoch + 1, num_epochs, i + 1, total_step, loss.item()))

model.eval()
with torch.no_grad():
    correct = 0
    total = 0
    for images_b, labels_b in train_loader:
        outputs = model(images_b.to(device))
        _, predicted = torch.max(outputs.data, 1)
        total += labels_b.size(0)
        correct += (predicted == labels_b).sum().item()
    accuracy = 100 * correct / total
    print('Train Accuracy of the model on the {} images: {:.1f} %'.format(total, accuracy))

output = model(torch.randn(5, 1, 12, 12))
print(output.shape)
