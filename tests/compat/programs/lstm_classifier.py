"""An LSTM classifier with (h0, c0), rows of an image read as a sequence."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(3)
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

sequence_length = 8
input_size = 8
hidden_size = 16
num_layers = 2
num_classes = 4
batch_size = 16
num_epochs = 2
learning_rate = 0.01


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        # Set initial hidden and cell states
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(device)
        c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(device)

        # Forward propagate LSTM
        out, _ = self.lstm(x, (h0, c0))  # out: (batch_size, seq_length, hidden_size)

        # Decode the hidden state of the last time step
        out = self.fc(out[:, -1, :])
        return out


model = RNN(input_size, hidden_size, num_layers, num_classes).to(device)

images = torch.rand(96, 1, 8, 8)
labels = torch.randint(0, num_classes, (96,))
train_loader = DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=True)

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

total_step = len(train_loader)
for epoch in range(num_epochs):
    for i, (images_b, labels_b) in enumerate(train_loader):
        images_b = images_b.reshape(-1, sequence_length, input_size).to(device)
        labels_b = labels_b.to(device)

        outputs = model(images_b)
        loss = criterion(outputs, labels_b)

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if (i + 1) % 3 == 0:
            print('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                  .format(epoch + 1, num_epochs, i + 1, total_step, loss.item()))

with torch.no_grad():
    correct = 0
    total = 0
    for images_b, labels_b in train_loader:
        images_b = images_b.reshape(-1, sequence_length, input_size).to(device)
        outputs = model(images_b)
        _, predicted = torch.max(outputs.data, 1)
        total += labels_b.size(0)
        correct += (predicted == labels_b.to(device)).sum().item()
    print('Accuracy on the {} training sequences: {:.2f} %'.format(total, 100 * correct / total))

output = model(torch.randn(5, 8, 8))
print(output.shape)
