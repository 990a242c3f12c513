module.exports = {
  displayName: 'notify',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/notify',
};
