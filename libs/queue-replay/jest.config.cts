module.exports = {
  displayName: 'queue-replay',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/queue-replay',
};
