"""A character-level LSTM language model: nn.Embedding, truncated backprop through time with
detached hidden states, gradient clipping and sampling with torch.multinomial."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(9)

text = "hello world, hello chain rule. " * 8
chars = sorted(set(text))
stoi = {ch: i for i, ch in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
vocab_size = len(chars)
print('vocab size:', vocab_size, 'data:', data.shape, data.dtype)


class CharModel(nn.Module):
    def __init__(self, vocab_size, embed_size=8, hidden_size=32, num_layers=1):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
        self.linear = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, h):
        x = self.embed(x)
        out, (h, c) = self.lstm(x, h)
        out = out.reshape(out.size(0) * out.size(1), out.size(2))
        out = self.linear(out)
        return out, (h, c)


def detach(states):
    return [state.detach() for state in states]


seq_length = 10
batch_size = 4
num_layers, hidden_size = 1, 32
model = CharModel(vocab_size)
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
criterion = nn.CrossEntropyLoss()

num_batches = (data.size(0) - 1) // (batch_size * seq_length)
inputs_all = data[:num_batches * batch_size * seq_length].view(batch_size, -1)
targets_all = data[1:num_batches * batch_size * seq_length + 1].view(batch_size, -1)

losses = []
for epoch in range(5):
    states = (torch.zeros(num_layers, batch_size, hidden_size),
              torch.zeros(num_layers, batch_size, hidden_size))
    for i in range(0, inputs_all.size(1), seq_length):
        inputs = inputs_all[:, i:i + seq_length]
        targets = targets_all[:, i:i + seq_length]

        states = detach(states)
        outputs, states = model(inputs, states)
        loss = criterion(outputs, targets.reshape(-1))

        model.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
        losses.append(loss.item())
    print('Epoch [{}/{}], Loss: {:.4f}, Perplexity: {:5.2f}'
          .format(epoch + 1, 5, loss.item(), torch.exp(loss).item()))

with torch.no_grad():
    state = (torch.zeros(num_layers, 1, hidden_size), torch.zeros(num_layers, 1, hidden_size))
    inp = torch.tensor([[stoi['h']]])
    generated = []
    for _ in range(20):
        output, state = model(inp, state)
        prob = F.softmax(output, dim=1)
        word_id = torch.multinomial(prob, num_samples=1).item()
        inp.fill_(word_id)
        generated.append(chars[word_id])
print('sampled', len(generated), 'characters')
