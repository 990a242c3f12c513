module.exports = {
  displayName: 'logging-json',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/logging-json',
};
