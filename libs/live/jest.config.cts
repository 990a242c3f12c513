module.exports = {
  displayName: 'live',
  preset: '../../jest.preset.js',
  coverageDirectory: '../../coverage/libs/live',
};
